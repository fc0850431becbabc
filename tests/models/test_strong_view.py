"""StrongView and FreeSOLODataPreprocessor's two views: each image's strong view made in the data
preprocessor from its weak view, then copy-paste, then one batch of both views."""
import copy

import numpy as np
import torch
from mmdet.registry import MODELS, TRANSFORMS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import mmfreesolo  # noqa: F401
from mmfreesolo.models.data_preprocessors import StrongView

init_default_scope('mmdet')

STAGES = [
    dict(transforms=[
        dict(type='RandomApply', p=0.8, transforms=[
            dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)]),
        dict(type='RandomGrayscale', p=0.2),
        dict(type='RandomApply', p=0.5, transforms=[
            dict(type='GaussianBlur', kernel_size=13, sigma=(0.1, 2.0))])]),
    dict(normalize=dict(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
         transforms=[dict(type='RandomErasing', p=0.7, scale=(0.05, 0.2), value='random')])]


def packed(seed, height, width):
    """A packed image (3, H, W) uint8 of noise and its two square instances."""
    rng = np.random.default_rng(seed)
    masks = np.zeros((2, height, width), np.uint8)
    masks[0, 2:12, 3:15] = 1
    masks[1, 10:height - 2, 8:width - 4] = 1
    bitmap = BitmapMasks(masks, height, width)
    sample = DetDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                         pad_shape=(height, width), scale_factor=(1.0, 1.0)))
    sample.gt_instances = InstanceData(masks=bitmap, bboxes=bitmap.get_bboxes('hbox'),
                                       labels=torch.zeros(2, dtype=torch.long),
                                       scores=torch.tensor([0.9, 0.7]))
    image = rng.integers(0, 256, (3, height, width), dtype=np.uint8)
    return torch.from_numpy(image), sample


def reference_strong(images, seed):
    """One image after the other, each through the stages as pipeline transforms on (H, W, 3)."""
    torch.manual_seed(seed)
    out = []
    for image in images:
        img = image.numpy().transpose(1, 2, 0).copy()
        for stage in STAGES:
            img = TRANSFORMS.build(dict(type='TorchvisionOnImage', **stage))(dict(img=img))['img']
        out.append(img.transpose(2, 0, 1))
    return out


def test_strong_views_are_the_stages_on_each_weak_view_with_copied_labels():
    images, samples = zip(*(packed(0, 32, 40), packed(1, 24, 28)))
    before = [image.clone() for image in images]
    torch.manual_seed(5)
    views = StrongView(STAGES)(dict(inputs=list(images), data_samples=list(samples)))
    assert list(views['inputs']) == ['weak', 'strong'] == list(views['data_samples'])
    for weak, original in zip(views['inputs']['weak'], before):
        assert torch.equal(weak, original)
    for got, expected in zip(views['inputs']['strong'], reference_strong(before, 5)):
        np.testing.assert_array_equal(got.numpy(), expected)
    for weak, strong in zip(views['data_samples']['weak'], views['data_samples']['strong']):
        assert weak is not strong and strong.img_shape == weak.img_shape
        np.testing.assert_array_equal(strong.gt_instances.masks.masks,
                                      weak.gt_instances.masks.masks)
        assert torch.equal(strong.gt_instances.scores, weak.gt_instances.scores)
        strong.gt_instances.scores[0] = 0  # a copy: the weak view's labels stay
        assert weak.gt_instances.scores[0] > 0


def test_each_image_draws_its_own_augmentation():
    image, sample = packed(0, 32, 32)
    jitter = [dict(transforms=[dict(type='ColorJitter', brightness=0.4, hue=0.1)])]
    torch.manual_seed(0)
    views = StrongView(jitter)(dict(inputs=[image, image.clone()],
                                    data_samples=[sample, copy.deepcopy(sample)]))
    first, second = views['inputs']['strong']
    assert not torch.equal(first, image) and not torch.equal(first, second)


def preprocessor(**kwargs):
    return MODELS.build(dict(type='FreeSOLODataPreprocessor', mean=[123.675, 116.28, 103.53],
                             std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=8,
                             **kwargs))


def test_preprocessor_trains_on_both_views_and_tests_on_the_images():
    images, samples = zip(*(packed(0, 32, 40), packed(1, 24, 28)))
    model = preprocessor(strong_view=dict(stages=STAGES), copy_paste=dict(max_cover=0.5))

    def data():
        return dict(inputs=[image.clone() for image in images],
                    data_samples=[copy.deepcopy(sample) for sample in samples])

    torch.manual_seed(0)
    views = model.training_views(data())
    torch.manual_seed(0)
    trained = model(data(), training=True)
    assert trained['inputs'].shape == (4, 3, 32, 40)      # weak views, then strong views
    # the step trains on the very views training_views gives from the same random state
    joined = model.join_branches(views)
    expected = model(dict(inputs=joined['inputs'], data_samples=joined['data_samples']))
    torch.testing.assert_close(trained['inputs'], expected['inputs'])
    for got, want in zip(trained['data_samples'], joined['data_samples']):
        np.testing.assert_array_equal(got.gt_instances.masks.masks,
                                      want.gt_instances.masks.masks)
        assert got.color_similarity.shape[-2:] == (8, 10)
    # weak views untouched
    for got, (image, sample) in zip(trained['data_samples'][:2], zip(images, samples)):
        np.testing.assert_array_equal(got.gt_instances.masks.masks,
                                      sample.gt_instances.masks.masks)
    tested = model(data(), training=False)
    assert tested['inputs'].shape == (2, 3, 32, 40)
    assert not hasattr(tested['data_samples'][0], 'color_similarity')
