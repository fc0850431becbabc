"""See `python tools/stitch_tiles.py --help`; the command lives in
mmfreesolo.cli.stitch_tiles."""
from mmfreesolo.cli.stitch_tiles import main

if __name__ == '__main__':
    main()
