"""tools/free_mask.py: resumable after SIGKILL, shards merge into the single-run file, and bad
input is skipped and recorded, never fatal."""
import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from PIL import Image

from conftest import REPO, assert_ok, assert_one_line_error, run
from mmfreesolo.cli.free_mask import main as free_mask
from mmfreesolo.cli.merge_free_mask import main as merge
from mmfreesolo.pseudo_labels.label_file import decode_embedding
from mmfreesolo.pseudo_labels.mask_refinement import AffinityMaskRefinement
from mmfreesolo.scenes import generate_scenes

CONFIG = str(REPO / 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py')
# one worker runs the module, so the Free Mask run its tests share is made once
pytestmark = pytest.mark.xdist_group('test_generate')


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp('fm_scenes')
    generate_scenes(str(root), num_train=24, num_val=0, image_size=(128, 128), seed=5)
    return root / 'train'


@pytest.fixture(scope='module')
def single_run(images, tmp_path_factory):
    out = tmp_path_factory.mktemp('single') / 'labels.json'
    free_mask([CONFIG, '--images', str(images), '--out', str(out), '--batch-size', '2',
               '--chunk-size', '4', '--workers', '0', '--no-progress'])
    return out


def test_label_file_is_coco_with_mask2bbox(single_run, images):
    data = json.loads(single_run.read_text())
    assert data['categories'] == [{'id': 1, 'name': 'object', 'supercategory': 'object'}]
    assert len(data['images']) == 24, 'images without masks stay listed'
    assert [img['id'] for img in data['images']] == list(range(1, 25))
    assert [a['id'] for a in data['annotations']] == list(range(1, len(data['annotations']) + 1))
    assert data['annotations'], 'scenes must give some masks'
    for ann in data['annotations']:
        mask = mask_utils.decode(ann['segmentation'])
        assert mask.shape == (128, 128)
        ys, xs = np.nonzero(mask)
        assert ann['bbox'] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                               ys.max() - ys.min() + 1]
        assert ann['area'] == mask.sum()
        assert 0.5 <= ann['score'] <= 1  # the config's score_thr
        assert 'emb' not in ann, 'embeddings are written only when asked'
    info = data['info']
    assert info['num_images'] == 24 and info['num_masks'] == len(data['annotations'])
    assert info['skipped'] == [] and len(info['checkpoint_sha256']) == 64
    assert info['checkpoint_sha256'].startswith('b0353104')  # torchvision's file
    assert info['model']['type'] == 'FreeMask' and 'shard' not in info
    assert not (single_run.parent / 'labels.json.parts').exists()


def test_embeddings_when_asked(images, tmp_path):
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for path in sorted(images.iterdir())[:4]:
        (folder / path.name).symlink_to(path)
    out = tmp_path / 'labels.json'
    free_mask([CONFIG, '--images', str(folder), '--out', str(out), '--workers', '0',
               '--no-progress', '--cfg-options', 'model.emb_dim=128'])
    annotations = json.loads(out.read_text())['annotations']
    assert annotations
    for ann in annotations:
        emb = decode_embedding(ann['emb'])
        assert emb.shape == (128, ) and abs(np.linalg.norm(emb) - 1) < 1e-2


def test_refined_labels_are_free_masks_snapped_to_colour_edges(single_run, images, tmp_path):
    """A config's ``mask_refinement``: each written mask is the unrefined run's mask through
    AffinityMaskRefinement, the emptied ones dropped and counted."""
    out = tmp_path / 'refined.json'
    free_mask([CONFIG, '--images', str(images), '--out', str(out), '--workers', '0',
               '--no-progress', '--cfg-options', 'mask_refinement.iterations=5'])
    refinement = AffinityMaskRefinement(iterations=5)
    plain, refined = json.loads(single_run.read_text()), json.loads(out.read_text())
    assert refined['info']['mask_refinement'] == refinement.settings()
    expected, emptied, moved = [], 0, 0
    for img in plain['images']:
        anns = [a for a in plain['annotations'] if a['image_id'] == img['id']]
        if not anns:
            continue
        masks = torch.from_numpy(np.stack([mask_utils.decode(a['segmentation'])
                                           for a in anns])).bool()
        snapped = refinement.refine_masks(masks, cv2.imread(str(images / img['file_name'])))
        expected += [(img['id'], a['score'], m.numpy()) for a, m in zip(anns, snapped) if m.any()]
        emptied += int((~snapped.flatten(1).any(1)).sum())
        moved += sum(bool(m.any()) and not torch.equal(m, p) for m, p in zip(snapped, masks))
    got = [(a['image_id'], a['score'], mask_utils.decode(a['segmentation']))
           for a in refined['annotations']]
    assert [g[:2] for g in got] == [e[:2] for e in expected]
    assert all(np.array_equal(g[2], e[2]) for g, e in zip(got, expected))
    assert moved > 0, 'the refinement moved some masks'
    manifest = json.loads((tmp_path / 'refined.manifest.json').read_text())
    assert manifest['dropped'] == dict(empty_after_refinement=emptied)


def test_images_listed_out_of_id_order_give_the_same_labels(images, tmp_path):
    """A json listing its images in decreasing id order goes through the spill file; the one
    listing them in increasing order straight to the output: the same labels."""
    names = sorted(p.name for p in images.iterdir())[:6]
    entries = [dict(id=10 * (k + 1), file_name=name, height=128, width=128)
               for k, name in enumerate(names)]
    written = []
    for order in ('increasing', 'decreasing'):
        listing = tmp_path / f'{order}.json'
        listing.write_text(json.dumps(dict(
            images=entries if order == 'increasing' else entries[::-1], annotations=[],
            categories=[dict(id=1, name='object')])))
        out = tmp_path / f'{order}_labels.json'
        free_mask([CONFIG, '--ann-file', str(listing), '--img-root', str(images), '--out',
                   str(out), '--batch-size', '1', '--chunk-size', '4', '--workers', '0',
                   '--no-progress'])
        data = json.loads(out.read_text())
        del data['info']  # the image list's digest differs
        written.append(data)
    assert [img['id'] for img in written[1]['images']] == [10, 20, 30, 40, 50, 60]
    assert written[0]['annotations'], 'scenes must give some masks'
    assert written[1] == written[0]


def test_second_run_does_nothing(single_run, images, capsys):
    before = single_run.read_bytes()
    free_mask([CONFIG, '--images', str(images), '--out', str(single_run), '--batch-size', '2',
               '--chunk-size', '4', '--workers', '0', '--no-progress'])
    assert 'complete; nothing to do' in capsys.readouterr().out
    assert single_run.read_bytes() == before


def test_shards_merge_into_the_single_run_file(single_run, images, tmp_path):
    out = tmp_path / 'labels.json'
    for shard in range(3):
        free_mask([CONFIG, '--images', str(images), '--out', str(out), '--batch-size', '2',
                   '--chunk-size', '4', '--workers', '0', '--no-progress', '--shard-id',
                   str(shard), '--num-shards', '3'])
    shards = sorted(tmp_path.glob('labels.shard-*-of-003.json'))
    assert len(shards) == 3 and not out.exists()
    counts = [json.loads(p.read_text())['info']['num_images'] for p in shards]
    assert sum(counts) == 24 and min(counts) > 0
    merge([str(out)])
    assert out.read_bytes() == single_run.read_bytes()


def test_merge_refuses_missing_or_duplicated_shards(single_run, images, tmp_path, in_process):
    out = tmp_path / 'labels.json'
    for shard in (0, 1):
        free_mask([CONFIG, '--images', str(images), '--out', str(out), '--chunk-size', '4',
                   '--workers', '0', '--no-progress', '--shard-id', str(shard),
                   '--num-shards', '3'])
    result = in_process(merge, [str(out)])
    assert_one_line_error(result, 'shards [2] of 3 are missing')
    first = str(tmp_path / 'labels.shard-000-of-003.json')
    result = in_process(merge, [str(out), first, first])
    assert_one_line_error(result, 'labels.shard-000-of-003.json is given twice')
    assert not out.exists()


@pytest.mark.slow
def test_sigkill_then_rerun_gives_the_uninterrupted_file(single_run, images, tmp_path):
    out = tmp_path / 'labels.json'
    args = [sys.executable, 'tools/free_mask.py', CONFIG, '--images', str(images), '--out',
            str(out), '--batch-size', '2', '--chunk-size', '4', '--workers', '0',
            '--no-progress']
    parts = tmp_path / 'labels.json.parts'
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list(parts.glob('chunk-*.json')) and time.time() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(parts.glob('chunk-*.json')))
    # killed once its first chunk was written, long before the other 20 images are done
    assert not out.exists() and done >= 1, 'the run was killed part-way'
    (parts / '.chunk-000005.json.interrupted').write_text('{"half": ')  # a write cut short

    result = run(args[1:])
    assert_ok(result)
    assert f'{done} chunks done before' in result.stdout
    assert out.read_bytes() == single_run.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['labels.json', 'labels.manifest.json'], \
        'nothing left over'


def _bad_and_odd_images(folder):
    """Every kind of file a real image folder may hold."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    scene = np.zeros((120, 160, 3), np.uint8)
    scene[..., 0] = np.linspace(0, 255, 160)[None]
    scene[30:90, 40:100] = (20, 200, 60)
    cv2.imwrite(str(folder / 'good.png'), scene)
    png = cv2.imencode('.png', scene)[1].tobytes()
    (folder / 'truncated.png').write_bytes(png[:len(png) // 3])
    (folder / 'corrupt.jpg').write_bytes(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    (folder / 'zero_bytes.png').write_bytes(b'')
    (folder / 'notes.txt').write_text('not an image')
    cv2.imwrite(str(folder / 'gray.png'), scene[..., 1])
    cv2.imwrite(str(folder / 'rgba.png'), np.dstack([scene, np.full((120, 160), 128, np.uint8)]))
    cv2.imwrite(str(folder / 'sixteen_bit.png'), scene.astype(np.uint16) * 257)
    Image.fromarray(scene[..., ::-1]).convert('CMYK').save(folder / 'cmyk.jpg')
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    Image.fromarray(scene[..., ::-1]).save(folder / 'exif_rotated.jpg', exif=exif)
    cv2.imwrite(str(folder / 'tiny.png'), scene[:5, :7])
    cv2.imwrite(str(folder / 'one_row.png'), scene[:1])
    big = cv2.resize(scene, (4000, 3000), interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(str(folder / 'large.jpg'), big)
    cv2.imwrite(str(folder / 'ünïcødé 日本.png'), scene)
    return folder


def test_bad_and_odd_images_are_processed_or_skipped(tmp_path):
    folder = _bad_and_odd_images(tmp_path / 'imgs')
    out = tmp_path / 'labels.json'
    result = run(['tools/free_mask.py', CONFIG, '--images', str(folder), '--out', str(out),
                  '--workers', '0', '--batch-size', '4'])
    assert_ok(result)
    data = json.loads(out.read_text())
    skipped = {s['file_name']: s['reason'] for s in data['info']['skipped']}
    assert set(skipped) == {'truncated.png', 'corrupt.jpg', 'zero_bytes.png', 'notes.txt'}
    assert skipped['zero_bytes.png'] == 'empty file'
    assert 'not a readable image' in skipped['notes.txt']
    for name in skipped:
        assert f'skipped {name}' in result.stdout
    shapes = {img['file_name']: (img['height'], img['width']) for img in data['images']}
    assert shapes == {'good.png': (120, 160), 'gray.png': (120, 160), 'rgba.png': (120, 160),
                      'sixteen_bit.png': (120, 160), 'cmyk.jpg': (120, 160),
                      'exif_rotated.jpg': (160, 120), 'tiny.png': (5, 7),
                      'one_row.png': (1, 160), 'large.jpg': (3000, 4000),
                      'ünïcødé 日本.png': (120, 160)}
    by_id = {img['id']: img for img in data['images']}
    for ann in data['annotations']:
        img = by_id[ann['image_id']]
        assert ann['segmentation']['size'] == [img['height'], img['width']]
    assert data['info']['num_images'] == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ['imgs', 'labels.json',
                                                          'labels.manifest.json']


def test_empty_folder_and_wrong_inputs_are_one_error_line(tmp_path, in_process):
    (tmp_path / 'empty').mkdir()
    result = in_process(free_mask, [CONFIG, '--images', str(tmp_path / 'empty'), '--out',
                                    str(tmp_path / 'x.json')])
    assert_one_line_error(result, 'empty: the folder holds no files')
    result = in_process(free_mask, [CONFIG, '--images', str(tmp_path / 'nope'), '--out',
                                    str(tmp_path / 'x.json')])
    assert_one_line_error(result, 'nope: no such folder')
    result = in_process(free_mask, [str(REPO / 'configs/solov2_r18_scenes_cpu.py'),
                                    '--images', str(tmp_path), '--out', str(tmp_path / 'x.json')])
    assert_one_line_error(result, 'not a Free Mask config')
    (tmp_path / 'one').mkdir()
    cv2.imwrite(str(tmp_path / 'one' / 'a.png'), np.zeros((16, 16, 3), np.uint8))
    for option, message in (('mask_refinement.steps=3', "unknown settings ['steps']"),
                            ('mask_refinement.iterations=0', 'iterations must be positive')):
        result = in_process(free_mask, [CONFIG, '--images', str(tmp_path / 'one'), '--out',
                                        str(tmp_path / 'x.json'), '--check-only',
                                        '--cfg-options', option])
        assert_one_line_error(result, message)
    assert not (tmp_path / 'x.json').exists()


def test_a_model_failing_on_every_image_stops_the_run(images, tmp_path):
    """A configuration error that the model raises on every image is one error line and a
    non-zero exit, not a label file of skips; fixed and run again, the run completes, and a
    corrupt file is still only a recorded skip."""
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for path in sorted(images.iterdir())[:6]:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / 'corrupt.png').write_bytes(b'\x89PNG not really')
    out = tmp_path / 'labels.json'
    args = ['tools/free_mask.py', CONFIG, '--images', str(folder), '--out', str(out),
            '--workers', '0', '--chunk-size', '2', '--no-progress']
    result = run(args + ['--cfg-options', 'model.feature_index=5'])
    error = assert_one_line_error(result, 'labelling stopped: the same error failed 5 images '
                                  'in a row', 'IndexError: tuple index out of range',
                                  'raised at mmfreesolo/models/detectors/free_mask.py:')
    assert not out.exists()
    assert sorted(p.name for p in (tmp_path / 'labels.json.parts').iterdir()) == ['run.json'], \
        error
    result = run(args)
    assert_ok(result)
    data = json.loads(out.read_text())
    assert len(data['images']) == 6
    assert [s['file_name'] for s in data['info']['skipped']] == ['corrupt.png']


def test_every_image_unreadable_exits_non_zero(tmp_path, in_process):
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for name in ('a.png', 'b.jpg'):
        (folder / name).write_bytes(b'')
    result = in_process(free_mask, [CONFIG, '--images', str(folder), '--out',
                                    str(tmp_path / 'x.json'), '--workers', '0'])
    assert_one_line_error(result, 'every one of the 2 images failed, none is labelled (first '
                          'a.png: empty file)')
    assert not (tmp_path / 'x.json').exists()
