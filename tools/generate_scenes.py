"""See `python tools/generate_scenes.py --help`; the command lives in
mmfreesolo.cli.generate_scenes."""
from mmfreesolo.cli.generate_scenes import main

if __name__ == '__main__':
    main()
