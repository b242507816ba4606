"""Numbers → text, on the controller: the terminal summary, a failed trial's story, the transcript
as a reader sees it, the comparison of two runs, the JSON file and the HTML page."""
