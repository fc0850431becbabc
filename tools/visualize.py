"""See `python tools/visualize.py --help`; the command lives in mmfreesolo.cli.visualize."""
from mmfreesolo.cli.visualize import main

if __name__ == '__main__':
    main()
