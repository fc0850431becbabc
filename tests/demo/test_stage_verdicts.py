"""The demo's line per stage: whether it improved on the stage before, on mask AP and AP50."""
from mmfreesolo.demo.pipeline import stage_verdicts


def row(stage, ap, ap50):
    return {'stage': stage, 'mask AP': ap, 'mask AP50': ap50}


def test_each_stage_against_the_one_before():
    rows = [row('Free Mask', 0.098, 0.225), row('round 1', 0.068, 0.190),
            row('round 2', 0.084, 0.240), row('round 3', 0.120, 0.300), row('round 4', None, None)]
    assert stage_verdicts(rows) == [
        'round 1 WORSE than Free Mask: mask AP 0.068 vs 0.098, mask AP50 0.190 vs 0.225',
        'round 2 improved on round 1: mask AP 0.084 vs 0.068, mask AP50 0.240 vs 0.190',
        'round 3 improved on round 2: mask AP 0.120 vs 0.084, mask AP50 0.300 vs 0.240',
        'round 4 not scored: no comparison with round 3']


def test_a_stage_better_on_one_metric_only_is_mixed():
    rows = [row('Free Mask', 0.098, 0.225), row('round 1', 0.099, 0.200)]
    assert stage_verdicts(rows) == [
        'round 1 mixed against Free Mask: mask AP 0.099 vs 0.098, mask AP50 0.200 vs 0.225']
    assert stage_verdicts(rows[:1]) == []
