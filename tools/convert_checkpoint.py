"""See `python tools/convert_checkpoint.py --help`; the command lives in
mmfreesolo.cli.convert_checkpoint."""
from mmfreesolo.cli.convert_checkpoint import main

if __name__ == '__main__':
    main()
