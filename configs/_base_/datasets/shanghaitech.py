# ShanghaiTech Campus (colour, 16:9): the loaders of ped2.py on the
# ShanghaiTech videos.
_base_ = ['./ped2.py']
_shanghaitech = _base_.video_datasets.shanghaitech
train_dataloader = fit_dataloader = test_dataloader = dict(
    dataset=_shanghaitech)
train_videos = dict(dataset=_shanghaitech)
