"""See `python tools/free_mask.py --help`; the command lives in mmfreesolo.cli.free_mask."""
from mmfreesolo.cli.free_mask import main

if __name__ == '__main__':
    main()
