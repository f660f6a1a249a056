# The paper's schedule: Adam, lr 1e-4, at most 120 epochs.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=120)
param_scheduler = []
test_cfg = dict(type='TestLoop')
