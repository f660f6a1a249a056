# The built-in synthetic surveillance scene (cbad/datasets/synthetic_scene.py):
# rendered on the fly from a seed, no files, no downloads. Used by `make demo`
# and the tests; see docs/dataset_preparation.md for what it contains.
dataset_type = 'SyntheticDataset'
scene_seed = 0
# 16-frame segments every 4 frames, for the clips and the metric.
clip_len = 16
stride = 4
val_ratio = 0.25  # 8 training videos -> 2 normal validation videos
_scene = dict(type=dataset_type, seed=scene_seed, val_ratio=val_ratio)
test_evaluator = dict(
    type='VideoAnomalyMetric', clip_to_frame='mean', segment_len=clip_len,
    segment_stride=stride, segment_label_rule='majority')

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
_dataset = dict(_scene, clip_len=clip_len, stride=stride)
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_dataset, split='train', pipeline=train_pipeline))
fit_dataloader = dict(
    train_dataloader,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        _dataset, split='val', test_mode=True, pipeline=test_pipeline))
test_dataloader = dict(
    fit_dataloader,
    dataset=dict(
        _dataset, split='test', test_mode=True, pipeline=test_pipeline))
# The normal training videos, each read whole (see ped2.py).
train_videos = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_scene, split='train', test_mode=True, sample_unit='video',
                 pipeline=test_pipeline))
