_base_ = ['./cbad_ped2_cpu.py']
# Improvement over the faithful model (not in the paper): score an 8x12 grid
# of local embeddings and keep the most anomalous cell per window. Ped2's
# anomalies (a cyclist, a cart) fill a few percent of a 240x360 frame; one
# global average over the frame dilutes them in background. Training is
# unchanged (the loss sees the grid average, i.e. the global embedding).
branch = dict(pool='none')  # branches return (N, T, 8, 12, D) at 64x96
model = dict(
    encoder=dict(spatial=branch, temporal=branch),
    grid=True,
    bank_size=10000)  # ~49k normal cells; a seeded subset bounds the file
