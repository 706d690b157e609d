"""The built-in policy plugins of stdpolicy.

Each sub-package is one policy area, registered under the
``stdpolicy.plugins`` entry-point group in ``setup.py`` exactly as a
third-party plugin would be.
"""
