"""See `python tools/pretrain.py --help`; the command lives in mmfreesolo.cli.pretrain."""
from mmfreesolo.cli.pretrain import main

if __name__ == '__main__':
    main()
