"""Recognition: from an image or a hand's landmarks to letters and a transcript.

Pure parts (normalization, trajectory, ring_buffer, smoothing, imageheaders)
sit beside the ones that wrap native libraries (images, hands, model); the
:class:`~signify.recognition.recognizer.Recognizer` ties them together for
one stream. Nothing here knows about sockets.
"""
