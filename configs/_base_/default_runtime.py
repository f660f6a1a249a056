default_scope = 'cbad'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # No save_best: test labels never pick a checkpoint (one-class protocol).
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Checkpoints load weights-only (no getattr on the allowlist) and
    # resume to the last digit of an uninterrupted run (docs/reliability.md).
    plain_message_hub=dict(type='PlainMessageHubHook'),
    random_state=dict(type='RandomStateHook'),
)
# Fits the scorers and the threshold on normal data after the last epoch, so
# the last checkpoint is self-contained (see docs/evaluation_protocol.md).
custom_hooks = [dict(type='FitDetectorHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py and tools/test.py switch to gloo when CUDA is absent.
    dist_cfg=dict(backend='nccl'),
)
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
