# A seconds-long variant of configs/convae/convae_synthetic.py for the tests.
_base_ = ['../../configs/convae/convae_synthetic.py']
_scene = dict(num_videos=4, num_frames=40, height=48, width=64)
channels = (8, 8, 4)
model = dict(
    encoder=dict(channels=channels),
    scorer=dict(reduce='patch_max', patch_size=8))
train_dataloader = dict(
    batch_size=8, dataset=dict(scene_kwargs=_scene, stride=4))
fit_dataloader = dict(batch_size=8, dataset=dict(scene_kwargs=_scene))
test_dataloader = dict(batch_size=8, dataset=dict(scene_kwargs=_scene))
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=1))
