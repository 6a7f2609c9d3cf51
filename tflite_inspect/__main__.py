from tflite_inspect.cli import run

run()
