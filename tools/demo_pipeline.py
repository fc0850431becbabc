"""See `python tools/demo_pipeline.py --help`; the command lives in mmfreesolo.cli.demo_pipeline."""
from mmfreesolo.cli.demo_pipeline import main

if __name__ == '__main__':
    main()
