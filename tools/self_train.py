"""See `python tools/self_train.py --help`; the command lives in mmfreesolo.cli.self_train."""
from mmfreesolo.cli.self_train import main

if __name__ == '__main__':
    main()
