"""The jupyter_server extension: chat sessions for the JupyterLab panel."""
