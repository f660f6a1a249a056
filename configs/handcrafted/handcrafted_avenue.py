_base_ = ['./handcrafted_ped2.py']
# Hand-crafted flow histograms + kNN on CUHK Avenue: the recipe of
# handcrafted_ped2.py, the flow grid of the 16:9 frames at Ped2's budget.
_videos = dict(_base_.video_datasets.avenue, pipeline=[
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(120, 214)), dict(type='PackClipInputs')])
train_dataloader = fit_dataloader = test_dataloader = dict(dataset=_videos)
fit_train_dataloader = train_dataloader
