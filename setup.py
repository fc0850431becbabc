"""mmfreesolo: FreeSOLO (CVPR 2022) as an MMDetection 3.x plugin.

``make setup`` (scripts/setup.sh) installs the pinned OpenMMLab stack into a new venv (torch and
mmcv need care that pip's resolver cannot give); in an existing OpenMMLab environment
``pip install -v -e .`` checks the stack against ``install_requires`` (docs/install.md).
"""
from setuptools import find_packages, setup

setup(
    name='mmfreesolo',
    version='0.1.0',
    description='FreeSOLO: unsupervised instance segmentation as an MMDetection plugin',
    license='Apache-2.0',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    packages=find_packages(include=['mmfreesolo', 'mmfreesolo.*']),
    # Configs live in <repo>/configs and are reached through mmfreesolo/.mim/configs (a link), the
    # way mmdet ships its own, so that `_base_ = 'mmfreesolo::x.py'` resolves once installed.
    package_data={'mmfreesolo': ['.mim/configs/*.py', '.mim/configs/**/*.py']},
    include_package_data=False,
    install_requires=[
        'torch>=2.0',
        'mmengine>=0.10.4,<0.11',
        'mmcv>=2.0.0rc4,<2.2.0',
        'mmdet>=3.3.0,<3.4',
        'pycocotools',
        'scipy',  # Free Mask's connected components
        'numpy',
        'opencv-python',
        'submitit',
    ],
    # tools/pretrain.py (DenseCL); the demo's photos
    extras_require={'pretrain': ['mmpretrain>=1.2.0,<1.3'], 'demo': ['scikit-image>=0.22']},
    zip_safe=False,
)
