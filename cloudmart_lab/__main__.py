from cloudmart_lab.cli import main

raise SystemExit(main())
