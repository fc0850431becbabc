"""The package registers into mmdet's registries and its configs load and inherit."""
import textwrap

from conftest import CPU_CONFIG, assert_ok, run


def test_import_registers_into_mmdet_scope():
    from mmdet.registry import METRICS

    import mmfreesolo
    assert METRICS.scope == 'mmdet'
    assert METRICS.get('ClassAgnosticCocoMetric') is mmfreesolo.ClassAgnosticCocoMetric


def test_cpu_config_builds_through_custom_imports(scenes, monkeypatch):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.evaluator import Evaluator
    monkeypatch.setenv('MMFREESOLO_SCENES', str(scenes) + '/')
    cfg = Config.fromfile(CPU_CONFIG)
    assert cfg.custom_imports == dict(imports=['mmfreesolo'], allow_failed_imports=False)
    assert cfg.val_evaluator.ann_file == f'{scenes}/annotations/instances_val.json'
    register_all_modules()
    model = MODELS.build(cfg.model)
    assert model.mask_head.num_classes == 1
    evaluator = Evaluator(cfg.val_evaluator)
    assert type(evaluator.metrics[0]).__name__ == 'ClassAgnosticCocoMetric'


def test_mmfreesolo_scope_from_a_config_outside_the_repo(tmp_path):
    user_config = tmp_path / 'my_config.py'
    user_config.write_text(textwrap.dedent("""
        _base_ = 'mmfreesolo::solov2_r18_scenes_cpu.py'
        model = dict(mask_head=dict(stacked_convs=3))
        train_cfg = dict(max_iters=7)
    """))
    script = textwrap.dedent(f"""
        from mmfreesolo.fileio.configs import load_config
        cfg = load_config({str(user_config)!r})
        print(cfg.model.backbone.depth, cfg.model.mask_head.stacked_convs,
              cfg.train_cfg.max_iters, cfg.val_evaluator.type, cfg.val_evaluator._scope_)
    """)
    result = run(['-c', script], cwd=tmp_path)
    assert_ok(result)
    # read in mmdet's scope, where mmfreesolo's modules are registered
    assert result.stdout.split()[-5:] == ['18', '3', '7', 'ClassAgnosticCocoMetric', 'mmdet']


def test_every_module_is_in_its_mmdet_registry():
    from mmdet.registry import DATASETS, HOOKS, MODELS, RUNNERS, TRANSFORMS, WEIGHT_INITIALIZERS

    import mmfreesolo
    expected = {
        DATASETS: ['FreeMaskLabelDataset'],
        TRANSFORMS: ['LoadScoredAnnotations', 'PackScoredDetInputs', 'TorchvisionOnImage'],
        MODELS: ['FreeMask', 'FreeSOLOHead', 'FreeSOLODataPreprocessor', 'PairwiseAffinityLoss',
                 'ProjectionDiceLoss', 'TorchvisionMobileNetV2'],
        WEIGHT_INITIALIZERS: ['BackboneCheckpoint'],
        HOOKS: ['SelfTrainingHook', 'TrainingProgressHook', 'TrainingViewsHook'],
        RUNNERS: ['StageLogRunner'],
    }
    for registry, names in expected.items():
        for name in names:
            assert registry.get(name) is getattr(mmfreesolo, name), (registry.name, name)
