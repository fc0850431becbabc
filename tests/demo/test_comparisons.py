"""The demo's comparison rows are checked before anything runs: a malformed item is one line,
before the scenes are generated or a second process is started."""
import pytest

from conftest import REPO, assert_one_line_error
from mmfreesolo.cli.demo_pipeline import main as demo_pipeline
from mmfreesolo.demo.comparisons import check_comparisons
from mmfreesolo.errors import UserInputError

FREE_MASK = str(REPO / 'configs/free_mask/freemask_r18_densecl_scenes_cpu.py')
PIPELINE = str(REPO / 'configs/demo/freesolo_demo_mobilenetv2_cpu.py')


@pytest.mark.parametrize('item, message', [
    (dict(free_mask=FREE_MASK), 'demo.comparisons[0] has no title'),
    (dict(title='x', self_training=PIPELINE), 'demo.comparisons[0] needs labels'),
    (dict(title='x', checkpoint=None), 'demo.comparisons[0] names neither free_mask nor'),
])
def test_a_malformed_item_is_named(item, message):
    with pytest.raises(UserInputError, match=message.replace('[', r'\[').replace(']', r'\]')):
        check_comparisons([item])


def test_well_formed_items_pass():
    check_comparisons([dict(title='random', free_mask=FREE_MASK, checkpoint=None),
                       dict(title='other', self_training=PIPELINE, labels='other.json')])


def test_the_demo_stops_before_any_work(tmp_path, in_process):
    config = tmp_path / 'bad_demo.py'
    config.write_text(f"_base_ = '{REPO}/configs/demo/freesolo_demo_annotation_free_cpu.py'\n"
                      "demo = dict(comparisons=[dict(title='x', self_training='y.py')])\n")
    out = tmp_path / 'demo'
    result = in_process(demo_pipeline, ['--config', str(config), '--out', str(out)])
    assert_one_line_error(result, 'demo.comparisons[0] needs labels')
    assert not (out / 'scenes').exists()
