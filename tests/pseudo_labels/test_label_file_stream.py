"""The streamed label file and merge: byte for byte what assembling everything in memory and
``json.dump`` (compact separators) give (the merge as it was before streaming, written out
below), and the same refusals of missing or doubled shards and images."""
import json
import random

import pytest

from mmfreesolo.errors import UserInputError
from mmfreesolo.fileio.coco_files import CATEGORIES
from mmfreesolo.pseudo_labels.label_file import FORMAT_VERSION
from mmfreesolo.pseudo_labels.label_file_stream import LabelFileStream
from mmfreesolo.pseudo_labels.shards import merge_shards, shard_path


def in_memory_merge(shards):
    """The merge before streaming: every shard in memory, then one ``json.dump``."""
    images, annotations, skipped = [], {}, []
    for data in shards:
        images.extend(data['images'])
        skipped.extend(data['info']['skipped'])
        for ann in data['annotations']:
            annotations.setdefault(ann['image_id'], []).append(
                {k: v for k, v in ann.items() if k not in ('id', 'image_id')})
    info = {k: v for k, v in shards[0]['info'].items()
            if k not in ('shard', 'num_images', 'num_masks', 'skipped')}
    numbered = []
    for img in sorted(images, key=lambda img: img['id']):
        for ann in annotations.get(img['id'], []):
            numbered.append(dict(id=len(numbered) + 1, image_id=img['id'], **ann))
    info = dict(info, num_images=len(images), num_masks=len(numbered),
                skipped=sorted(skipped, key=lambda s: s['file_name']))
    return json.dumps(dict(annotations=numbered, images=sorted(images, key=lambda img: img['id']),
                           info=info, categories=CATEGORIES), separators=(',', ':'))


def make_shards(rng, num_images=40, num_shards=3, chunk=4):
    """Shard files' contents as a sharded run deals chunks: round robin, ids shuffled (a COCO
    json's ids need not follow its order), some images skipped, some without masks; each shard
    sorted by image id, as its writer sorts it, with info first (the layout of earlier
    versions: the merge reads the elements in any order)."""
    ids = rng.sample(range(1, 10 * num_images), num_images)
    shards = []
    for s in range(num_shards):
        images, annotations, skipped = [], [], []
        for start in range(s * chunk, num_images, num_shards * chunk):
            for pos in range(start, min(start + chunk, num_images)):
                name = f'dir/img_{pos:03d}.jpg'
                if rng.random() < 0.1:
                    skipped.append(dict(file_name=name, reason='cannot identify image "é"'))
                    continue
                images.append(dict(id=ids[pos], file_name=name, height=rng.randint(5, 9),
                                   width=6))
                for _ in range(rng.choice([0, 0, 1, 3])):
                    annotations.append(dict(
                        id=len(annotations) + 1, image_id=ids[pos], category_id=1,
                        segmentation=dict(size=[7, 6], counts=rng.choice(['0a1', '12\\3'])),
                        area=rng.randint(1, 40), bbox=[1, 2, 3, 4.5],
                        score=round(rng.random(), 6), emb=[round(rng.random(), 6)] * 2))
        images.sort(key=lambda img: img['id'])
        annotations.sort(key=lambda ann: ann['image_id'])  # stable: an image's stay in order
        info = dict(model='free_mask', version=FORMAT_VERSION,
                    source=dict(path='x', num_images=num_images, list_sha256='abc'),
                    shard=dict(shard_id=s, num_shards=num_shards),
                    num_images=len(images), num_masks=len(annotations), skipped=skipped)
        shards.append(dict(info=info, images=images, annotations=annotations,
                           categories=CATEGORIES))
    return shards


def write_shards(tmp_path, shards):
    out = tmp_path / 'labels.json'
    for data in shards:
        shard = data['info']['shard']
        with open(shard_path(str(out), shard['shard_id'], shard['num_shards']), 'w') as f:
            json.dump(data, f)
    return out


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_streamed_merge_is_byte_identical_to_the_in_memory_merge(tmp_path, seed):
    shards = make_shards(random.Random(seed))
    out = write_shards(tmp_path, shards)
    written = merge_shards(str(out), remove=True)
    assert out.read_text() == in_memory_merge(shards)
    merged = json.loads(out.read_text())
    assert [a['id'] for a in merged['annotations']] == list(range(1, written['num_masks'] + 1))
    assert written['num_images'] == len(merged['images'])
    per_image = [sum(a['image_id'] == img['id'] for a in merged['annotations'])
                 for img in merged['images']]
    assert written['images_without_masks'] == per_image.count(0)
    assert written['max_masks_per_image'] == max(per_image)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ['labels.json', 'labels.manifest.json']


def test_merge_refuses_missing_doubled_and_foreign_shards(tmp_path):
    shards = make_shards(random.Random(3))
    out = write_shards(tmp_path, shards)
    paths = [shard_path(str(out), s, 3) for s in range(3)]
    with pytest.raises(UserInputError, match=r'shards \[1\] of 3 are missing'):
        merge_shards(str(out), [paths[0], paths[2]])
    with pytest.raises(UserInputError, match='shard-002-of-003.json is given twice'):
        merge_shards(str(out), paths + [paths[2]])
    with open(tmp_path / 'copy.json', 'w') as f:
        json.dump(shards[2], f)
    with pytest.raises(UserInputError, match=r'dir/img_\d+.jpg is in both .*shard-002-of-003.json '
                                             'and .*copy.json'):
        merge_shards(str(out), paths + [str(tmp_path / 'copy.json')])
    # the same image labelled by two shards, told apart from its annotations
    copy = json.loads(json.dumps(shards[2]))
    copy['images'] = []
    copy['annotations'] = copy['annotations'][:1]
    with open(tmp_path / 'copy.json', 'w') as f:
        json.dump(copy, f)
    with pytest.raises(UserInputError, match=r'image_id \d+ is labelled in two shards'):
        merge_shards(str(out), paths + [str(tmp_path / 'copy.json')])
    (tmp_path / 'copy.json').unlink()
    foreign = json.loads(json.dumps(shards[1]))
    foreign['info']['source']['list_sha256'] = 'other'
    with open(paths[1], 'w') as f:
        json.dump(foreign, f)
    with pytest.raises(UserInputError, match='different runs'):
        merge_shards(str(out))
    assert not out.exists()


def test_merge_refuses_an_image_labelled_twice_or_missing(tmp_path):
    shards = make_shards(random.Random(4))
    twice = dict(shards[0]['images'][0])
    shards[2]['images'].append(twice)
    out = write_shards(tmp_path, shards)
    with pytest.raises(UserInputError,
                       match=f'{twice["file_name"]} is in both .*shard-000.*shard-002'):
        merge_shards(str(out))
    shards = make_shards(random.Random(4))
    gone = shards[1]['images'].pop()
    out = write_shards(tmp_path, shards)
    with pytest.raises(UserInputError, match=f'refers to image_id {gone["id"]}, which is not'):
        merge_shards(str(out))
    shards[1]['annotations'] = [a for a in shards[1]['annotations']
                                if a['image_id'] != gone['id']]
    out = write_shards(tmp_path, shards)
    with pytest.raises(UserInputError, match='the shards hold 39 images, the run has 40'):
        merge_shards(str(out))
    assert not out.exists()


def test_images_in_id_order_go_straight_to_the_file_with_the_same_bytes(tmp_path):
    shards = make_shards(random.Random(3))
    images = sorted((img for data in shards for img in data['images']), key=lambda i: i['id'])
    annotations = {}
    for data in shards:
        for ann in data['annotations']:
            annotations.setdefault(ann['image_id'], []).append(ann)
    written = []
    for in_id_order in (False, True):
        out = tmp_path / f'{in_id_order}.json'
        with LabelFileStream(str(out), in_id_order) as stream:
            for img in images:
                stream.add_image(img, annotations.get(img['id'], []), 'part')
            assert (stream._spill is None) == in_id_order
            stream.write(dict(model='m'))
        written.append(out.read_bytes())
    assert written[0] == written[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ['False.json', 'True.json']


def test_stream_in_id_order_refuses_a_smaller_id_and_leaves_no_file(tmp_path):
    with pytest.raises(ValueError, match='annotations of image id 2 follow those of 5'):
        with LabelFileStream(str(tmp_path / 'l.json'), in_id_order=True) as stream:
            stream.add([dict(id=5, file_name='a')], {5: [dict(category_id=1)]}, [], 'part a')
            stream.add([dict(id=2, file_name='b')], {2: [dict(category_id=1)]}, [], 'part b')
    assert list(tmp_path.iterdir()) == []


def test_stream_refuses_an_id_given_twice_and_leaves_no_file(tmp_path):
    stream = LabelFileStream(str(tmp_path / 'l.json'))
    stream.add([dict(id=3, file_name='a')], {}, [], 'part a')
    stream.add([dict(id=3, file_name='b')], {}, [], 'part b')
    with pytest.raises(UserInputError, match='an image id appears twice'):
        stream.write({})
    assert list(tmp_path.iterdir()) == []


def test_a_shard_out_of_id_order_is_one_clear_error(tmp_path):
    shards = make_shards(random.Random(6))
    shards[1]['annotations'].reverse()
    out = write_shards(tmp_path, shards)
    with pytest.raises(UserInputError, match=r'shard-001-of-003.json: the annotations of '
                                             r'image_id \d+ are not grouped by image in id order'):
        merge_shards(str(out))
    assert not out.exists()


def test_a_malformed_shard_is_one_clear_error(tmp_path):
    shards = make_shards(random.Random(5))
    del shards[1]['images'][0]['id']
    out = write_shards(tmp_path, shards)
    with pytest.raises(UserInputError, match=r'shard-001-of-003.json: images\[0\] needs an '
                                             'integer id'):
        merge_shards(str(out))
    shards = make_shards(random.Random(5))
    shards[2]['annotations'][0]['image_id'] = 'x'
    out = write_shards(tmp_path, shards)
    with pytest.raises(UserInputError, match=r"annotations\[0\] refers to image_id 'x'"):
        merge_shards(str(out))
    assert not out.exists()


def test_merge_raises_the_open_file_limit_or_says_why_it_cannot(tmp_path, monkeypatch):
    import resource

    from mmfreesolo.pseudo_labels import shards as shards_module
    out = write_shards(tmp_path, make_shards(random.Random(7)))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    calls = []
    monkeypatch.setattr(shards_module.resource, 'getrlimit', lambda _: (3, hard))
    monkeypatch.setattr(shards_module.resource, 'setrlimit', lambda _, limits: calls.append(
        limits))
    merge_shards(str(out))
    assert calls == [(3 + 64, hard)]
    monkeypatch.setattr(shards_module.resource, 'getrlimit', lambda _: (3, 10))
    out.unlink()
    with pytest.raises(UserInputError, match='merging 3 shards .* needs 67 open files; the '
                                             r'limit here is 10 \(ulimit -Hn\)'):
        merge_shards(str(out))
    assert not out.exists()
