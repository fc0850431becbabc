"""Page faults per Free Mask forward on the CPU, with glibc's default heap and with
``retain_freed_memory`` (what tools/free_mask.py sets for its own process).

    python benchmarks/cpu_heap_page_faults.py [--config CONFIG]

Measured on 2 cores: 13700-14300 minor faults per forward by default, 1700-2500 retained; the
masks are identical. mallopt settings are process-wide and cannot be undone, so the measurement
runs in a child process.
"""
import argparse
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = """
import resource, sys
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmfreesolo.adaptations.cpu_heap import retain_freed_memory
from mmfreesolo.scenes import generate_scenes
from mmfreesolo.engine.free_mask_labelling import build_free_mask
from mmfreesolo.pseudo_labels.image_records import list_images
from mmfreesolo.pseudo_labels.images_to_label import ImagesToLabel

torch.set_num_threads(1)
generate_scenes(sys.argv[1], num_train=1, num_val=0, image_size=(128, 128))
cfg = Config.fromfile(sys.argv[2])
model = build_free_mask(cfg)
batch = pseudo_collate([ImagesToLabel(list_images(sys.argv[1] + '/train'),
                                      cfg.test_pipeline)[0]['sample']])


def faults_per_forward():
    with torch.no_grad():
        model.test_step(batch)  # settles the heap
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(3):
            masks = model.test_step(batch)[0].pred_instances.masks
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 3, masks


default, masks = faults_per_forward()
assert retain_freed_memory()
retained, retained_masks = faults_per_forward()
assert torch.equal(masks, retained_masks)
print(default, retained)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default=str(
        REPO / 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py'))
    args = parser.parse_args()
    if platform.libc_ver()[0] != 'glibc':
        sys.exit('this benchmark tunes the glibc allocator; this Python is not linked to glibc')
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, '-c', SCRIPT, str(Path(tmp) / 'scenes'),
                              args.config], capture_output=True, text=True, cwd=REPO)
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    default, retained = map(float, out.stdout.split()[-2:])
    print(f'minor page faults per forward: default heap {default:.0f}, '
          f'retained {retained:.0f} ({default / max(retained, 1):.1f}x fewer), same masks')


if __name__ == '__main__':
    main()
