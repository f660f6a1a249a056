_base_ = ['./convae_ped2.py']
# Conv-AE with Hasan et al.'s optimiser: AdaGrad at lr 0.01 instead of
# Adam at 1e-3, everything else as `convae_ped2.py` (10 epochs, batch 16).
# Whether it replaces `convae_ped2.py` is decided by the fifth rule in
# docs/benchmarks.md (Conv-AE optimiser).
optim_wrapper = dict(optimizer=dict(_delete_=True, type='Adagrad', lr=0.01))
