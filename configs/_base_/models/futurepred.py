# Future Frame Prediction (Liu et al., CVPR 2018): a U-Net predicts frame t+1
# from frames t-3..t; a badly predicted frame (low PSNR) is anomalous.
# Loss weights are the paper's (lambda_int, gd, op, adv = 1, 1, 2, 0.05).
model = dict(
    type='FuturePredictionDetector',
    data_preprocessor=dict(
        type='ClipDataPreprocessor', mean=[127.5], std=[127.5]),
    generator=dict(
        type='UNetPredictor', in_frames=4, in_channels=1,
        base_channels=64, num_stages=4),
    discriminator=dict(
        type='PatchDiscriminator', in_channels=1, base_channels=128,
        num_layers=3),
    intensity_loss=dict(type='IntensityLoss', p=2, loss_weight=1.0),
    gradient_loss=dict(type='GradientLoss', alpha=1.0, loss_weight=1.0),
    # No pretrained FlowNet offline: fixed, differentiable Lucas-Kanade flow
    # stands in for it (configs/futurepred/README.md).
    flow_loss=dict(type='FlowLoss', method='lucas_kanade', loss_weight=2.0),
    adversarial_loss=dict(type='AdversarialLoss', loss_weight=0.05),
    scorer=dict(type='PSNRScorer', data_range=2.0, max_psnr=100.0),
    thresholder=dict(type='MADThresholder', lam=3.0))
# Generator and discriminator steps alternate inside the detector's
# train_step; under a distributed launcher each network gets its own DDP.
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False)
# One Adam over both networks; each step only gives gradients to its own
# network, so a config's optim_wrapper with these parameter groups equals
# FFP's two optimisers (G at lr, D at lr / 10).
paramwise_cfg = dict(custom_keys=dict(discriminator=dict(lr_mult=0.1)))
