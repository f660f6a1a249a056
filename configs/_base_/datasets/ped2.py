# UCSD Ped2, and the loaders every real-video dataset shares: avenue.py and
# shanghaitech.py are this file on their own videos. The root comes from
# $CBAD_DATA_ROOT (the folder holding ped2/, avenue/, shanghaitech/), default
# ./data; see docs/dataset_preparation.md.
# Read here rather than by mmengine's env-variable substitution, which pastes
# the raw value into this file's source (a quote or backslash in the path
# broke every config). __import__, not `import os`: mmengine takes a config
# importing a module from outside the venv for a lazy-import config.
data_dir = __import__('os').environ.get('CBAD_DATA_ROOT') or 'data'
_join = __import__('os').path.join
# The class and folder of each real-video dataset. A method's Avenue and
# ShanghaiTech configs put theirs into the loaders of its Ped2 config.
video_datasets = dict(
    ped2=dict(type='UCSDPed2Dataset', data_root=_join(data_dir, 'ped2')),
    avenue=dict(type='AvenueDataset', data_root=_join(data_dir, 'avenue')),
    shanghaitech=dict(
        type='ShanghaiTechDataset',
        data_root=_join(data_dir, 'shanghaitech')))
# The paper's segments: 16 frames every 4, for the clips and the metric. A
# method config may change the clip length its model consumes; the metric's
# segments stay 16/4.
clip_len = 16
stride = 4
val_ratio = 0.1
test_evaluator = dict(
    type='VideoAnomalyMetric', clip_to_frame='mean', segment_len=clip_len,
    segment_stride=stride, segment_label_rule='majority')

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=False),
    dict(type='ResizeClip', size=(224, 224)),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
_ped2_clips = dict(video_datasets['ped2'], clip_len=clip_len, stride=stride)
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_ped2_clips, split='train', val_ratio=val_ratio,
                 pipeline=train_pipeline))
# Normal validation clips carved from the training videos: the threshold and
# score normalisers are fitted on them (FitDetectorHook), never on test data.
fit_dataloader = dict(
    train_dataloader,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_ped2_clips, split='val', val_ratio=val_ratio,
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = dict(
    fit_dataloader,
    dataset=dict(_ped2_clips, split='test', test_mode=True,
                 pipeline=test_pipeline))
# The normal training videos, each read whole: a detector that scores whole
# videos (cbad, handcrafted) fits its memory bank and prototypes on them,
# as its fit_train_dataloader with its own pipeline.
train_videos = dict(
    batch_size=1,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(video_datasets['ped2'], split='train', val_ratio=val_ratio,
                 test_mode=True, sample_unit='video', pipeline=test_pipeline))
