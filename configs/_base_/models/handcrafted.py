# Hand-crafted features (the "traditional feature method"): per-window
# histograms of Farneback optical-flow orientation (magnitude-weighted) and
# magnitude on a 4x6 grid, scored by the distance to the nearest normal
# training window (faiss kNN). Nothing is trained; see
# configs/handcrafted/README.md.
model = dict(
    type='HandcraftedDetector',
    # no mean/std: the flow needs intensities on the 0-255 scale
    data_preprocessor=dict(type='ClipDataPreprocessor'),
    encoder=dict(
        type='FlowHistogramEncoder',
        grid=(4, 6),
        orientation_bins=8,
        magnitude_edges=(0.3, 1.0, 2.0, 4.0),
        noise_floor=0.3,
        normalize='none'),
    scorer=dict(type='KNNSupportScorer', k=1),
    per_cell=False,
    clip_len=16,
    stride=4,
    thresholder=dict(type='MADThresholder', lam=3.0))
