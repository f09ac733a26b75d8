"""The class order used everywhere: tensors, files and plots."""

DOWN, NONE, UP = 0, 1, 2
CLASS_NAMES = ("Down", "None", "Up")
N_CLASSES = len(CLASS_NAMES)
