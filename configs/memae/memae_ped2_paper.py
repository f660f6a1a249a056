_base_ = ['./memae_ped2.py']
# MemAE's published recipe (Gong et al. 2019 and the authors' code) as far as
# cbad follows it (configs/memae/README.md lists what differs): 256x256 grey
# 16-frame clips starting at every frame, widths 96, 128, 256, 256, 2,000
# memory slots, Adam at 1e-4, batch 10, 100 epochs (19,800 steps). A GPU
# recipe; on CPU a long, resumable run (`--resume`), one checkpoint per epoch
# (198 steps, ~3.5 h of one CPU core: ~64 s a step, measured), every one kept
# for the learning curve. The shrinkage threshold stays cbad's 1/N (see the
# README for why not 0.0025).
model = dict(encoder=dict(channels=(96, 128, 256, 256)))
_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(256, 256)),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(dataset=dict(stride=1, pipeline=_pipeline))
fit_dataloader = test_dataloader = dict(dataset=dict(pipeline=_pipeline))
optim_wrapper = dict(optimizer=dict(lr=1e-4))
train_cfg = dict(max_epochs=100)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1))
