# UCSD Ped2. The root comes from $CBAD_DATA_ROOT (the folder holding ped2/,
# avenue/, shanghaitech/), default ./data; see docs/dataset_preparation.md.
dataset_type = 'UCSDPed2Dataset'
# Read here rather than by mmengine's env-variable substitution, which pastes
# the raw value into this file's source (a quote or backslash in the path
# broke every config). __import__, not `import os`: mmengine takes a config
# importing a module from outside the venv for a lazy-import config.
data_root = __import__('os').path.join(
    __import__('os').environ.get('CBAD_DATA_ROOT') or 'data', 'ped2')
# The paper's segments: 16 frames every 4; a method config may change the
# clip length its model consumes, the metric's segments stay 16/4.
clip_len = 16
stride = 4
val_ratio = 0.1

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=False),
    dict(type='ResizeClip', size=(224, 224)),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        clip_len=clip_len,
        stride=stride,
        val_ratio=val_ratio,
        pipeline=train_pipeline))
# Normal validation clips carved from the training videos: the threshold and
# score normalisers are fitted on them (FitDetectorHook), never on test data.
fit_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        clip_len=clip_len,
        stride=stride,
        val_ratio=val_ratio,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        clip_len=clip_len,
        stride=stride,
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='VideoAnomalyMetric',
    clip_to_frame='mean',
    segment_len=16,
    segment_stride=4,
    segment_label_rule='majority')
test_cfg = dict(type='TestLoop')
