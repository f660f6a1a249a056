_base_ = [
    '../_base_/models/convae.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# Conv-AE on the built-in synthetic scene: the `make demo` model (minutes on
# 2 CPU cores). Frames are already small (120x160 grey), so no resize.
clip_len = 10  # Hasan et al.'s cuboid length, as in convae_ped2.py
channels = (64, 32, 16)
model = dict(
    encoder=dict(in_frames=clip_len, channels=channels))

train_dataloader = dict(dataset=dict(clip_len=clip_len, stride=2))
fit_dataloader = test_dataloader = dict(dataset=dict(clip_len=clip_len))

optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_epochs=8)
default_hooks = dict(logger=dict(interval=10))
