# CUHK Avenue (colour, 16:9): the loaders of ped2.py on the Avenue videos.
_base_ = ['./ped2.py']
_avenue = _base_.video_datasets.avenue
train_dataloader = fit_dataloader = test_dataloader = dict(dataset=_avenue)
train_videos = dict(dataset=_avenue)
