"""The defect detector: YOLO through ultralytics, or its ONNX export on onnxruntime."""
