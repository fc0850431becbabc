"""See `python tools/predict.py --help`; the command lives in mmfreesolo.cli.predict."""
from mmfreesolo.cli.predict import main

if __name__ == '__main__':
    main()
