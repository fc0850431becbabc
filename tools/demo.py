"""See `python tools/demo.py --help`; the command lives in mmfreesolo.cli.demo."""
from mmfreesolo.cli.demo import main

if __name__ == '__main__':
    main()
