"""Which predictions become the next round's labels: score, emptiness, width, top-k."""
import pytest
import torch
from mmengine.structures import InstanceData

from mmfreesolo.errors import UserInputError
from mmfreesolo.pseudo_labels.prediction_selection import PredictionSelection


def _instances(masks, scores):
    return InstanceData(masks=torch.as_tensor(masks, dtype=torch.bool),
                        scores=torch.as_tensor(scores, dtype=torch.float32))


def _reference(masks, scores, score_thr, max_per_img, max_width_ratio):
    """One instance at a time, the rules as the paper states them."""
    candidates, dropped = [], dict(below_score=0, empty=0, near_full_width=0,
                                   over_max_per_img=0)
    for i, (mask, score) in enumerate(zip(masks.tolist(), scores.tolist())):
        if score < score_thr:
            dropped['below_score'] += 1
            continue
        columns = [x for x in range(len(mask[0])) if any(row[x] for row in mask)]
        if not columns:
            dropped['empty'] += 1
            continue
        if columns[-1] - columns[0] + 1 >= max_width_ratio * len(mask[0]):
            dropped['near_full_width'] += 1
            continue
        candidates.append((score, i))
    candidates.sort(key=lambda c: -c[0])  # stable: equal scores keep their order
    dropped['over_max_per_img'] = max(len(candidates) - max_per_img, 0)
    return [i for _, i in candidates[:max_per_img]], dropped


def test_hand_case():
    masks = torch.zeros(5, 4, 20, dtype=torch.bool)
    masks[0, 1, 2:6] = True      # kept, score 0.5
    masks[1, 0, 0:19] = True     # 19 of 20 columns: 0.95 of the width, dropped
    masks[2, 2, 0:18] = True     # 18 columns: kept, score 0.9, first
    masks[3, 3, 5] = True        # score 0.29: below 0.3
    # masks[4] empty, score 0.8
    selected, dropped = PredictionSelection()(
        _instances(masks, [0.5, 0.99, 0.9, 0.29, 0.8]))
    assert selected.scores.tolist() == pytest.approx([0.9, 0.5])
    assert torch.equal(selected.masks, masks[[2, 0]])
    assert dropped == dict(below_score=1, empty=1, near_full_width=1, over_max_per_img=0)


def test_top_k_after_the_other_rules():
    masks = torch.zeros(4, 3, 10, dtype=torch.bool)
    masks[:, 1, 3:5] = True
    masks[0, 1, :] = True  # full width, the best score: must not take a place in the top 2
    selected, dropped = PredictionSelection(max_per_img=2)(
        _instances(masks, [0.95, 0.4, 0.6, 0.5]))
    assert selected.scores.tolist() == pytest.approx([0.6, 0.5])
    assert dropped['near_full_width'] == 1 and dropped['over_max_per_img'] == 1


@pytest.mark.parametrize('seed', range(5))
def test_matches_the_reference_on_random_predictions(seed):
    gen = torch.Generator().manual_seed(seed)
    n, h, w = 40, 12, 30
    masks = torch.zeros(n, h, w, dtype=torch.bool)
    for i, (x0, x1) in enumerate(torch.randint(0, w, (n, 2), generator=gen).sort(1).values):
        masks[i, i % h, x0:x1 + 1] = True  # spans of every width up to the full one
    masks |= torch.rand(n, h, w, generator=gen) > 0.995
    masks[8:12] = False
    # multiples of 1/8: many ties, and scores exactly at the 0.75 threshold
    scores = torch.randint(0, 9, (n, ), generator=gen).float() / 8
    for thr, k, ratio in [(0.3, 20, 0.95), (0.0, 5, 0.5), (0.75, 100, 1.0)]:
        selected, dropped = PredictionSelection(thr, k, ratio)(_instances(masks, scores))
        keep, expected = _reference(masks, scores, thr, k, ratio)
        assert torch.equal(selected.masks, masks[keep])
        assert torch.equal(selected.scores, scores[keep])
        assert dropped == expected


def test_no_predictions():
    selected, dropped = PredictionSelection()(_instances(torch.zeros(0, 5, 5), []))
    assert len(selected) == 0 and sum(dropped.values()) == 0


@pytest.mark.parametrize('kwargs', [dict(score_thr=1.5), dict(max_per_img=0),
                                    dict(max_width_ratio=0.0)])
def test_bad_settings_are_errors(kwargs):
    with pytest.raises(UserInputError):
        PredictionSelection(**kwargs)
