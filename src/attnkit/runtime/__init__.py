"""What runs a trained model: torch, or ONNX Runtime on an export (`runtimes`: the `Runtime`
a predictor is handed), and the ONNX export itself (`onnx_export`, `exported_graphs`,
`onnx_lstm`) and the exported graphs run behind the model interfaces (`onnx_graphs`)."""
