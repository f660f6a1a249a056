_base_ = ['./handcrafted_ped2.py']
# One kNN bank per grid cell, the window scored by its most anomalous cell:
# Ped2's anomalies (bikes, carts) fill one or two of the 24 cells, and in a
# whole-frame descriptor their cells are outweighed by the 22 normal ones.
model = dict(per_cell=True)
