_base_ = ['./futurepred_ped2_64x96.py']
# FFP's published recipe (Liu et al. 2018 and the authors' code) as far as
# cbad follows it (configs/futurepred/README.md lists what differs): 256x256
# grey input, widths 64 (generator) / 128 (discriminator), Adam at 1e-4 /
# 1e-5 (the grey-data rates) divided by 10 after 7,000 steps, batch 4,
# 80,000 steps of random 5-frame clips. A GPU recipe; on CPU a long,
# resumable run. Short epochs (EpochSliceSampler) give a checkpoint, and a
# point of the learning curve, every 2,000 steps; `--resume` continues a
# stopped run exactly. The Lucas-Kanade flow stands in for FlowNet.
# The authors' layout: ReLU after each up-convolution; an unnormalised
# discriminator with reflection padding.
model = dict(
    generator=dict(base_channels=64, up_act=True),
    discriminator=dict(base_channels=128, norm_cfg=None,
                       padding_mode='reflect'))
_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(256, 256)),
    dict(type='PackClipInputs'),
]
steps_per_epoch = 2000
train_dataloader = dict(
    batch_size=4,
    sampler=dict(type='EpochSliceSampler',
                 samples_per_epoch=4 * steps_per_epoch),
    dataset=dict(stride=1, pipeline=_pipeline))
fit_dataloader = test_dataloader = dict(dataset=dict(pipeline=_pipeline))
optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[7000], gamma=0.1)
]
train_cfg = dict(max_epochs=80000 // steps_per_epoch)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1))  # every budget
