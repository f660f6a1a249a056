_base_ = ['./futurepred_ped2_64x96.py']
# FFP on CUHK Avenue: the recipe of futurepred_ped2.py, the 16:9 frames at a
# Ped2-like pixel budget. Not yet measured.
_videos = dict(_base_.video_datasets.avenue, pipeline=[
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(64, 112)), dict(type='PackClipInputs')])
train_dataloader = fit_dataloader = test_dataloader = dict(dataset=_videos)
