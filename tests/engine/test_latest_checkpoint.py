"""The checkpoint a run continues from: mmengine's pointer when it names a file; a pointer that a
kill left empty, or that names a missing file, repaired to the newest saved checkpoint (mmengine
writes it after the checkpoint, not atomically), so that mmengine's own resume finds it too."""
from mmengine.config import Config
from mmengine.runner import find_latest_checkpoint

from mmfreesolo.engine.training import latest_checkpoint, set_resume


def _work_dir(tmp_path, pointer, saved=('iter_5.pth', 'iter_10.pth', 'iter_9.pth')):
    for name in saved:
        (tmp_path / name).write_bytes(b'checkpoint')
    (tmp_path / 'not_a_checkpoint.pth').write_bytes(b'')
    if pointer is not None:
        (tmp_path / 'last_checkpoint').write_text(pointer)
    return tmp_path


def test_the_pointer_names_it(tmp_path):
    assert latest_checkpoint(str(_work_dir(tmp_path, None))) is None, 'no pointer, no resume'
    work = _work_dir(tmp_path, str(tmp_path / 'iter_5.pth'))
    assert latest_checkpoint(str(work)) == str(work / 'iter_5.pth')


def test_an_empty_or_dangling_pointer_is_repaired_to_the_newest(tmp_path):
    for pointer in ('', str(tmp_path / 'iter_15.pth')):
        work = _work_dir(tmp_path, pointer)
        newest = str(work / 'iter_10.pth')          # by number: not iter_9.pth
        assert latest_checkpoint(str(work)) == newest
        assert (work / 'last_checkpoint').read_text() == newest
        assert find_latest_checkpoint(str(work)) == newest


def test_an_empty_pointer_without_checkpoints_is_removed(tmp_path):
    work = _work_dir(tmp_path, '', saved=())
    assert latest_checkpoint(str(work)) is None
    assert not (work / 'last_checkpoint').exists()


def test_auto_resume_repairs_the_pointer_for_mmengine(tmp_path):
    work = _work_dir(tmp_path, '', saved=('epoch_2.pth', 'epoch_3.pth'))
    cfg = Config(dict(work_dir=str(work)))
    set_resume(cfg, 'auto')
    assert cfg.resume is True and cfg.load_from is None
    assert find_latest_checkpoint(str(work)) == str(work / 'epoch_3.pth')
