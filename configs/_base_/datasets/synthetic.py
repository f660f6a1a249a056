# The built-in synthetic surveillance scene (cbad/datasets/synthetic_scene.py):
# rendered on the fly from a seed, no files, no downloads. Used by `make demo`
# and the tests; see docs/dataset_preparation.md for what it contains.
dataset_type = 'SyntheticDataset'
scene_seed = 0
clip_len = 16
stride = 4
val_ratio = 0.25  # 8 training videos -> 2 normal validation videos

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
_dataset = dict(
    type=dataset_type,
    seed=scene_seed,
    clip_len=clip_len,
    stride=stride,
    val_ratio=val_ratio)

train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**_dataset, split='train', pipeline=train_pipeline))
fit_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **_dataset, split='val', test_mode=True, pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **_dataset, split='test', test_mode=True, pipeline=test_pipeline))
test_evaluator = dict(
    type='VideoAnomalyMetric',
    clip_to_frame='mean',
    segment_len=16,
    segment_stride=4,
    segment_label_rule='majority')
test_cfg = dict(type='TestLoop')
