"""What people read: text reports, pictures of a graph, progress, and messages
with the settings' secrets masked.
"""
