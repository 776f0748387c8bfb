# The platform API version. Plugins declare the range they support with an
# ordinary requirement, e.g. ``argus-sdk>=1.0,<2``; the kernel refuses to import
# a plugin whose range excludes this version.
__version__ = "1.0.0"
