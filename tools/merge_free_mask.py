"""See `python tools/merge_free_mask.py --help`; the command lives in
mmfreesolo.cli.merge_free_mask."""
from mmfreesolo.cli.merge_free_mask import main

if __name__ == '__main__':
    main()
