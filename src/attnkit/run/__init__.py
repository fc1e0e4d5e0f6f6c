"""A RUN: a trained model on disk, as every command and `attnkit.load` accept it. A run folder
(its best checkpoint), a checkpoint file (`checkpoint`: safetensors, never unpickled), an ONNX
export (`onnx_files`: its header, read without running it) or a shipped model's name
(`shipped`); `meta` is what a pipeline writes about itself into each of them."""
