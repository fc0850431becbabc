"""See `python tools/tile_images.py --help`; the command lives in
mmfreesolo.cli.tile_images."""
from mmfreesolo.cli.tile_images import main

if __name__ == '__main__':
    main()
