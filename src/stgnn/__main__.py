from stgnn.cli import main

raise SystemExit(main())
