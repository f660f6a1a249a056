_base_ = [
    '../_base_/models/memae.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# MemAE on the built-in synthetic scene (minutes on 2 CPU cores): the
# scene's 16-frame clips every 4 frames. The 120x160 frames are resized to
# 96x128 (a multiple of 16, same aspect), so the decoder's output needs no
# resampling.
channels = (16, 24, 32, 32)
model = dict(
    encoder=dict(channels=channels),
    # fewer prototypes for a small scene (lambda stays 1/N)
    memory=dict(num_slots=500))

train_pipeline = test_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(96, 128)),
    dict(type='PackClipInputs'),
]
train_dataloader = fit_dataloader = test_dataloader = dict(
    dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_epochs=8)
default_hooks = dict(logger=dict(interval=10))
